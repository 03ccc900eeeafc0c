// Importing this module registers every architecture.
import './reference-cnn';
import './vgg';
import './resnet';
import './vit';
import './mlp';
